data "alicloud_account" "current" {}

locals {
  account_id = data.alicloud_account.current.id
  mns_arn    = "acs:mns:${var.region}:${local.account_id}"

  # Settings shared by the function and (through the worker_environment
  # output) the workers, as MFAGUARD_<NAME> variables.
  common_environment = {
    MFAGUARD_REGION            = var.region
    MFAGUARD_ACCOUNT_ID        = local.account_id
    MFAGUARD_MNS_ENDPOINT      = var.mns_endpoint
    MFAGUARD_RAM_ENDPOINT      = var.ram_endpoint
    MFAGUARD_CONFIG_ENDPOINT   = var.config_endpoint
    MFAGUARD_QUEUE             = var.queue
    MFAGUARD_DLQ_QUEUE         = var.dlq_queue
    MFAGUARD_TOPIC             = var.topic
    MFAGUARD_NOTIFY_TOPIC      = var.notify_topic
    MFAGUARD_NOTIFY_TAG        = var.notify_tag
    MFAGUARD_RULE_NAME         = var.rule_name
    MFAGUARD_DANGEROUS_ACTIONS = join(",", var.dangerous_actions)
    MFAGUARD_LOG_FORMAT        = "json"
  }
}

# ---- MNS: the topic Config feeds, the workers' queue, the dead letters --

resource "alicloud_message_service_topic" "topics" {
  for_each = toset(distinct([var.topic, var.notify_topic]))

  topic_name = each.value
  # mfaguard sends and expects bodies up to 64 KiB (MNS_MAX_BODY).
  max_message_size = 65536
}

resource "alicloud_message_service_queue" "work" {
  queue_name           = var.queue
  visibility_timeout   = var.visibility_timeout
  maximum_message_size = 65536
  # Four days: time to fix a broken worker before events are lost.
  message_retention_period = 345600
  polling_wait_seconds     = 0
}

resource "alicloud_message_service_queue" "dead_letter" {
  queue_name           = var.dlq_queue
  visibility_timeout   = var.visibility_timeout
  maximum_message_size = 65536
  # The longest MNS keeps a message: dead letters wait for a person.
  message_retention_period = 604800
}

resource "alicloud_message_service_subscription" "queue" {
  topic_name        = alicloud_message_service_topic.topics[var.topic].topic_name
  subscription_name = var.subscription
  push_type         = "queue"
  # The Mns-open API names the target queue by its name.
  endpoint              = alicloud_message_service_queue.work.queue_name
  notify_content_format = var.subscription_format
  notify_strategy       = "BACKOFF_RETRY"
}

# ---- Cloud Config: change events to the topic, and the rule -------------

resource "alicloud_config_delivery" "events" {
  count = var.config_delivery ? 1 : 0

  delivery_channel_name       = "${var.rule_name}-events"
  description                 = "Resource change events for mfaguard"
  delivery_channel_type       = "MNS"
  delivery_channel_target_arn = "${local.mns_arn}:/topics/${var.topic}"
  # Changes are what the workers evaluate; Config's own non-compliance
  # events would only be skipped.
  configuration_item_change_notification = true
  non_compliant_notification             = false

  depends_on = [alicloud_message_service_topic.topics]
}

resource "alicloud_config_rule" "mfa" {
  rule_name   = var.rule_name
  description = "RAM users allowed dangerous actions must have an MFA device (mfaguard)."

  source_owner      = "CUSTOM_FC"
  source_identifier = alicloud_fcv3_function.serve.function_arn

  # On every change of a RAM user, and periodically for all of them.
  config_rule_trigger_types   = "ConfigurationItemChangeNotification,ScheduledNotification"
  maximum_execution_frequency = var.sweep_frequency
  resource_types_scope        = ["ACS::RAM::User"]
  risk_level                  = var.risk_level

  input_parameters = {
    dangerousActions = join(",", var.dangerous_actions)
  }
}
