region = "eu-west-1"

cloudflare_api_token = "r8HZ6H4-I4HidxeFyj6CDZzeI5ZyF18g2XGCGrgi"
datadog_api_key      = "d2adc56d5be33f3da9a00f8c3dc921a0"
datadog_app_key      = "05d89cde8bfca9baef50f7d938bbbdc7c6fb8047"

alert_emails = ["oncall@acme-corp.com"]
