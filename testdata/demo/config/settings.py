"""Service settings."""
import os

AWS_REGION = "eu-west-1"
AWS_ACCESS_KEY_ID = "AKIAY62MMZD344CUMP7M"
AWS_SECRET_ACCESS_KEY = "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"

# Read from the environment in production:
DB_PASSWORD = os.environ["DB_PASSWORD"]
