output "queue_name" {
  description = "Queue the workers consume."
  value       = alicloud_message_service_queue.work.queue_name
}

output "dlq_queue_name" {
  description = "Dead-letter queue."
  value       = alicloud_message_service_queue.dead_letter.queue_name
}

output "topic_names" {
  description = "Topics (Config's events, notifications)."
  value       = sort([for t in alicloud_message_service_topic.topics : t.topic_name])
}

output "function_arn" {
  description = "ARN of the Function Compute function behind the rule."
  value       = alicloud_fcv3_function.serve.function_arn
}

output "config_rule_id" {
  description = "Id of the Config rule."
  value       = alicloud_config_rule.mfa.config_rule_id
}

output "policy_name" {
  description = "The custom policy with mfaguard's permissions."
  value       = alicloud_ram_policy.mfaguard.policy_name
}

output "fc_role_arn" {
  description = "Role of the function."
  value       = alicloud_ram_role.fc.arn
}

output "rrsa_role_arn" {
  description = "Role for the Kubernetes workers (ALIBABA_CLOUD_ROLE_ARN); empty without RRSA."
  value       = local.rrsa ? alicloud_ram_role.rrsa[0].arn : ""
}

output "worker_environment" {
  description = "MFAGUARD_* settings for the workers (deploy/kubernetes/configmap.yaml, or mfaguard.conf)."
  value = merge(local.common_environment, {
    MFAGUARD_STS_ENDPOINT = var.sts_endpoint
    MFAGUARD_HTTP_LISTEN  = "0.0.0.0:9464"
  })
}
