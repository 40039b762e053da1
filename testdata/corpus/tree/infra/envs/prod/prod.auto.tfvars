environment          = "prod"
instance_count       = 6
enable_deletion_lock = true

# Cloudflare origin certificates
cloudflare_origin_ca_key = "v1.0-bb4ea1b4a8b76937630e2ee8-1397fa4a0979de80545a80f0cf6f537b4871de40f61b78b3781e42cb901e28c589e9dfcefe8addb8404fbc8b037a7e96ebc8189278a046bbb6eb642462609b2aaff211c71cc250a246"
cloudflare_zone_id       = "fedcfa573a7e881148934ef2423a0bbb"
cloudflare_account_id    = "e0bd7c8a662bb1a0dabd07190151ae79"

# legacy global key, still needed by the page-rules module
cloudflare_email   = "ops@acme-corp.com"
cloudflare_api_key = "87b674d27c5e5fc4714c80e5d009f6eaf0da0"

digitalocean_token = "dop_v1_9fd4a1a0597bb6a9e2cb0afd14e7150e0d463a23307427328007e3722a2e4aac"
