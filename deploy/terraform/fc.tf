# The Function Compute function behind the Config rule: Function Compute
# 3.0 (alicloud_fcv3_function), custom container runtime, running the image
# of deploy/container as `mfaguard serve`. Function Compute starts the
# container, sends each Config event as POST /invoke to the port below
# (also passed as FC_SERVER_PORT) and hands the role's temporary keys with
# each request.
resource "alicloud_fcv3_function" "serve" {
  function_name = var.function_name
  description   = "mfaguard serve: checks RAM users for MFA for Cloud Config"
  runtime       = "custom-container"
  # Unused by custom containers, required by the API.
  handler              = "mfaguard"
  cpu                  = var.fc_cpu
  memory_size          = var.fc_memory_size
  disk_size            = 512
  timeout              = var.fc_timeout
  instance_concurrency = var.fc_instance_concurrency
  role                 = alicloud_ram_role.fc.arn
  internet_access      = true

  custom_container_config {
    image      = var.fc_image
    port       = var.fc_port
    entrypoint = ["mfaguard"]
    command    = ["serve"]
  }

  environment_variables = merge(local.common_environment, {
    MFAGUARD_SERVE_MODE   = var.serve_mode
    MFAGUARD_SERVE_LISTEN = ":${var.fc_port}"
  })

  dynamic "log_config" {
    for_each = var.fc_log_project == "" ? [] : [1]
    content {
      project                 = var.fc_log_project
      logstore                = var.fc_log_logstore
      enable_request_metrics  = true
      enable_instance_metrics = true
    }
  }

  depends_on = [alicloud_ram_role_policy_attachment.fc]
}
