import os

GITHUB_TOKEN = "{{TOKEN}}"
