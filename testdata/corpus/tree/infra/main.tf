terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.50"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.34"
    }
    datadog = {
      source = "DataDog/datadog"
    }
  }
}

provider "aws" {
  region = var.region
  # temporary: the CI role is broken in eu-central-1, see INFRA-2231
  access_key = "AKIAPMQHROSA66N5NU7T"
  secret_key = "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"
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

provider "datadog" {
  api_key = var.datadog_api_key
  app_key = var.datadog_app_key
  api_url = "https://api.datadoghq.eu/"
}

module "vpc" {
  source = "git::https://github.com/acme-corp/terraform-modules.git//vpc?ref=b43ec9ed349a1eb0cdc476a37e1b1fce43e65bdf"
  cidr   = "10.40.0.0/16"
  azs    = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

resource "random_password" "shop_db" {
  length           = 32
  special          = true
  override_special = "!#%&*()-_=+[]{}<>:?"
}

resource "aws_db_instance" "shop" {
  identifier              = "shop-prod"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.r6g.large"
  allocated_storage       = 200
  username                = "shop_admin"
  password                = random_password.shop_db.result
  db_subnet_group_name    = module.vpc.database_subnet_group
  backup_retention_period = 14
  deletion_protection     = true
  storage_encrypted       = true
  kms_key_id              = "arn:aws:kms:eu-west-1:682128441219:key/87b7907e-2355-449c-8725-94e0686b7f65"
}

resource "aws_db_instance" "reporting" {
  identifier     = "reporting-prod"
  engine         = "mysql"
  instance_class = "db.t4g.medium"
  username       = "admin"
  password       = var.db_password
}

resource "aws_secretsmanager_secret" "shop_db" {
  name = "prod/shop/db_password"
}

resource "aws_secretsmanager_secret_version" "shop_db" {
  secret_id     = aws_secretsmanager_secret.shop_db.id
  secret_string = random_password.shop_db.result
}
