resource "datadog_monitor" "api_5xx" {
  name    = "shop-api 5xx rate"
  type    = "query alert"
  query   = "sum(last_5m):sum:trace.express.request.errors{service:shop-api}.as_rate() > 5"
  message = <<-EOT
    5xx rate is high. Runbook: https://wiki.acme-corp.net/runbooks/shop-api-5xx
    @slack-alerts @pagerduty-shop
  EOT
}

resource "datadog_integration_slack_channel" "alerts" {
  account_name = "acme"
  channel_name = "#alerts"
  display {
    message = true
  }
}

resource "datadog_webhook" "opsgenie" {
  name = "opsgenie"
  url  = "https://api.eu.opsgenie.com/v1/json/datadog?apiKey=c92cdf29-a0bc-4cb8-8094-bf0afed89314"
}
