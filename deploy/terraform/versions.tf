terraform {
  # preconditions need 1.2; optional() and friends 1.3.
  required_version = ">= 1.3.0"

  required_providers {
    alicloud = {
      source = "aliyun/alicloud"
      # alicloud_fcv3_function (FC 3.0) since 1.228.0; the subscription's
      # queue endpoint given by name (the Mns-open API) and role_name in
      # alicloud_ram_role in recent 1.x releases.
      version = "~> 1.244"
    }
  }
}

# Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID,
# ALIBABA_CLOUD_ACCESS_KEY_SECRET, ...) or a CLI profile, as the provider
# documents; nothing here names a key.
provider "alicloud" {
  region = var.region
}
