# Names default to mfaguard's own setting defaults (`mfaguard settings
# --dump`), so a worker with default settings finds what this creates.
# Endpoints have no default: give the ones of your account and region.

variable "region" {
  description = "Region of the queue, topics, function and rule, e.g. cn-hangzhou."
  type        = string
}

variable "mns_endpoint" {
  description = "MNS account endpoint the worker and function use (https://<account>.mns.<region>... or its internal form)."
  type        = string
  validation {
    condition     = can(regex("^https?://[^/]+$", var.mns_endpoint))
    error_message = "mns_endpoint is a scheme and a host, without a path."
  }
}

variable "ram_endpoint" {
  description = "RAM endpoint the function uses."
  type        = string
  validation {
    condition     = can(regex("^https?://", var.ram_endpoint))
    error_message = "ram_endpoint is a URL."
  }
}

variable "config_endpoint" {
  description = "Cloud Config endpoint the function uses to write evaluations."
  type        = string
  validation {
    condition     = can(regex("^https?://", var.config_endpoint))
    error_message = "config_endpoint is a URL."
  }
}

variable "sts_endpoint" {
  description = "STS endpoint, for workers that use RRSA (goes into the worker_environment output)."
  type        = string
  default     = ""
}

variable "queue" {
  description = "Queue the workers consume (setting queue)."
  type        = string
  default     = "mfaguard"
}

variable "dlq_queue" {
  description = "Dead-letter queue (setting dlq_queue)."
  type        = string
  default     = "mfaguard-dlq"
}

variable "topic" {
  description = "Topic Config delivers to and the queue subscribes to (setting topic)."
  type        = string
  default     = "MNSTestConfig"
}

variable "notify_topic" {
  description = "Topic that receives non-compliance notifications (setting notify_topic); may be the same as topic."
  type        = string
  default     = "MNSTestConfig"
}

variable "notify_tag" {
  description = "MessageTag of mfaguard's notifications (setting notify_tag)."
  type        = string
  default     = "mfaguard"
}

variable "subscription" {
  description = "Name of the queue's subscription to the topic (setting subscription)."
  type        = string
  default     = "mfaguard"
}

variable "subscription_format" {
  description = "NotifyContentFormat of the subscription (setting subscription_format)."
  type        = string
  default     = "XML"
  validation {
    condition     = contains(["XML", "JSON", "SIMPLIFIED"], var.subscription_format)
    error_message = "subscription_format is XML, JSON or SIMPLIFIED."
  }
}

variable "visibility_timeout" {
  description = "Visibility timeout of the queue in seconds (setting visibility_timeout)."
  type        = number
  default     = 60
}

variable "rule_name" {
  description = "Name of the Config rule (setting rule_name)."
  type        = string
  default     = "mfaguard-ram-user-mfa"
}

variable "dangerous_actions" {
  description = "Action patterns that make a user need MFA: the rule's dangerousActions parameter."
  type        = list(string)
  default     = ["ecs:*", "oss:*", "log:*"]
}

variable "risk_level" {
  description = "Risk level of the rule: 1 critical, 2 warning, 3 info."
  type        = number
  default     = 1
}

variable "sweep_frequency" {
  description = "How often Config asks for every user (the rule's periodic trigger)."
  type        = string
  default     = "TwentyFour_Hours"
  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"], var.sweep_frequency)
    error_message = "sweep_frequency is One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours."
  }
}

variable "config_delivery" {
  description = "Deliver Config's resource change events to the topic (a delivery channel)."
  type        = bool
  default     = true
}

variable "function_name" {
  description = "Name of the Function Compute function that runs `mfaguard serve`."
  type        = string
  default     = "mfaguard"
}

variable "fc_image" {
  description = "Image of deploy/container pushed to Container Registry in this region (registry/namespace/mfaguard:tag)."
  type        = string
}

variable "fc_port" {
  description = "Port of `mfaguard serve` (serve_listen's port; Function Compute passes it as FC_SERVER_PORT)."
  type        = number
  default     = 9000
}

variable "serve_mode" {
  description = "evaluate: the function checks and writes verdicts itself; forward: it publishes each event to the topic for the workers."
  type        = string
  default     = "evaluate"
  validation {
    condition     = contains(["evaluate", "forward"], var.serve_mode)
    error_message = "serve_mode is evaluate or forward."
  }
}

variable "fc_cpu" {
  description = "vCPUs of the function."
  type        = number
  default     = 0.5
}

variable "fc_memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 512
}

variable "fc_timeout" {
  description = "Longest run of one invocation in seconds (a periodic request checks every user)."
  type        = number
  default     = 600
}

variable "fc_instance_concurrency" {
  description = "Invocations one function instance serves at once."
  type        = number
  default     = 4
}

variable "fc_log_project" {
  description = "Log Service project for the function's logs (empty: none)."
  type        = string
  default     = ""
}

variable "fc_log_logstore" {
  description = "Logstore for the function's logs (with fc_log_project)."
  type        = string
  default     = ""
}

variable "policy_name" {
  description = "Name of the custom policy made from mfaguard-policy.json."
  type        = string
  default     = "mfaguard"
}

variable "fc_role_name" {
  description = "RAM role the function runs as."
  type        = string
  default     = "mfaguard-fc"
}

variable "rrsa_role_name" {
  description = "RAM role the Kubernetes workers assume through RRSA."
  type        = string
  default     = "mfaguard-rrsa"
}

variable "rrsa_oidc_provider_arn" {
  description = "ARN of the cluster's RRSA OIDC provider in RAM (acs:ram::<account>:oidc-provider/<name>); empty: no RRSA role."
  type        = string
  default     = ""
}

variable "rrsa_oidc_issuer_url" {
  description = "Issuer URL of that OIDC provider (the cluster's RRSA issuer)."
  type        = string
  default     = ""
}

variable "rrsa_oidc_audience" {
  description = "Audience of the pods' projected token: a client id of the OIDC provider (the value in deploy/kubernetes/deployment.yaml)."
  type        = string
  default     = ""
}

variable "k8s_namespace" {
  description = "Namespace of the workers (deploy/kubernetes/kustomization.yaml)."
  type        = string
  default     = "mfaguard"
}

variable "k8s_service_account" {
  description = "Service account of the workers (deploy/kubernetes/serviceaccount.yaml)."
  type        = string
  default     = "mfaguard"
}
