variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "db_password" {
  description = "Master password for the reporting MySQL instance"
  type        = string
  sensitive   = true
  default     = "W1ll0w-harbor148^TCf"
}

variable "cloudflare_api_token" {
  type      = string
  sensitive = true
}

variable "datadog_api_key" {
  type      = string
  sensitive = true
}

variable "datadog_app_key" {
  type      = string
  sensitive = true
}

variable "github_token" {
  description = "PAT used by the github provider (set TF_VAR_github_token)"
  type        = string
  default     = ""
}

variable "pagerduty_integration_key" {
  type    = string
  default = "r3bb4dlyoerf6pjwz1oucfqbn0t3gibp"
}

variable "admin_password_length" {
  type    = number
  default = 24
}
