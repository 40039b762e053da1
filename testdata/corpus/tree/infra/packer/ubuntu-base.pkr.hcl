packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "ssh_password" {
  type      = string
  sensitive = true
  default   = ""
}

source "amazon-ebs" "ubuntu" {
  ami_name      = "acme-base-{{timestamp}}"
  instance_type = "t3.small"
  region        = "eu-west-1"
  source_ami_filter {
    filters = {
      name = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
  ssh_username = "ubuntu"
  ssh_password = var.ssh_password
}

build {
  sources = ["source.amazon-ebs.ubuntu"]
  provisioner "shell" {
    environment_vars = ["DD_API_KEY=afd89ea6d41330b54dcb3bef62192645", "DD_SITE=datadoghq.eu"]
    inline = [
      "curl -fsSL https://install.datadoghq.com/scripts/install_script_agent7.sh | sudo -E bash",
    ]
  }
}
