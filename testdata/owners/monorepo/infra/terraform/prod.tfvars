region       = "eu-west-1"
github_token = "{{TOKEN}}"
