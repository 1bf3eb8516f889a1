# The permissions mfaguard needs: mfaguard-policy.json lists exactly the
# API actions the code calls (tests/deploy checks it against the source).
# Its MNS resources name the default queue and topics; here they are
# replaced, statement by statement (Sid), with this deployment's names in
# this region and account.
locals {
  policy_template = jsondecode(file("${path.module}/mfaguard-policy.json"))

  policy_resources = {
    QueueMessages      = ["${local.mns_arn}:/queues/${var.queue}/messages"]
    QueueAttributes    = ["${local.mns_arn}:/queues/${var.queue}"]
    DeadLetterMessages = ["${local.mns_arn}:/queues/${var.dlq_queue}/messages"]
    PublishToTopics = distinct([
      "${local.mns_arn}:/topics/${var.topic}/messages",
      "${local.mns_arn}:/topics/${var.notify_topic}/messages",
    ])
  }

  policy_document = jsonencode({
    Version = local.policy_template.Version
    Statement = [
      for s in local.policy_template.Statement :
      merge(s, { Resource = lookup(local.policy_resources, s.Sid, s.Resource) })
    ]
  })

  rrsa = var.rrsa_oidc_provider_arn != ""
}

resource "alicloud_ram_policy" "mfaguard" {
  policy_name     = var.policy_name
  policy_document = local.policy_document
  description     = "mfaguard: read RAM users, policies and MFA; write Config verdicts; use its MNS queues and topics"
  force           = true
}

# Function Compute assumes this role for `mfaguard serve`.
resource "alicloud_ram_role" "fc" {
  role_name   = var.fc_role_name
  description = "mfaguard serve on Function Compute"
  assume_role_policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect = "Allow"
      Action = "sts:AssumeRole"
      # Function Compute's service principal (a name, not an endpoint).
      Principal = { Service = ["fc.aliyuncs.com"] }
    }]
  })
  force = true
}

resource "alicloud_ram_role_policy_attachment" "fc" {
  role_name   = alicloud_ram_role.fc.role_name
  policy_name = alicloud_ram_policy.mfaguard.policy_name
  policy_type = "Custom"
}

# The Kubernetes workers assume this role with their service account's
# OIDC token (RRSA): only that service account of that namespace.
resource "alicloud_ram_role" "rrsa" {
  count = local.rrsa ? 1 : 0

  role_name   = var.rrsa_role_name
  description = "mfaguard workers on Kubernetes (RRSA)"
  assume_role_policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Federated = [var.rrsa_oidc_provider_arn] }
      Condition = {
        StringEquals = {
          "oidc:iss" = var.rrsa_oidc_issuer_url
          "oidc:aud" = var.rrsa_oidc_audience
          "oidc:sub" = "system:serviceaccount:${var.k8s_namespace}:${var.k8s_service_account}"
        }
      }
    }]
  })
  force = true

  lifecycle {
    precondition {
      condition     = var.rrsa_oidc_issuer_url != "" && var.rrsa_oidc_audience != ""
      error_message = "RRSA needs rrsa_oidc_issuer_url and rrsa_oidc_audience as well."
    }
  }
}

resource "alicloud_ram_role_policy_attachment" "rrsa" {
  count = local.rrsa ? 1 : 0

  role_name   = alicloud_ram_role.rrsa[0].role_name
  policy_name = alicloud_ram_policy.mfaguard.policy_name
  policy_type = "Custom"
}
