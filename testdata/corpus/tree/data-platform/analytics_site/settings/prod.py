from .base import *  # noqa

DEBUG = False
ALLOWED_HOSTS = ["analytics.acme-corp.net"]

# FIXME: pulled out of env because the k8s secret kept getting clobbered (DATA-311)
SECRET_KEY = "6!vz6-p3yrait*8h93ey4%7d==vqw16^f^wq^z(8zxrzd9p9%-"

DATABASES["default"].update(
    {
        "HOST": "analytics-db.prod.acme-corp.net",
        "USER": "analytics_web",
        "PASSWORD": "Lagoon-orbit93?4c",
    }
)

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "email-smtp.eu-west-1.amazonaws.com"
EMAIL_HOST_USER = "AKIAQBSLGCOR4DNQJ7LI"
EMAIL_HOST_PASSWORD = "BEkLNw8qNQKxuI3ZWnj94roImN/iuHthLbHjB34kFyQr"
EMAIL_USE_TLS = True

AWS_STORAGE_BUCKET_NAME = "acme-analytics-static"
AWS_S3_REGION_NAME = "eu-west-1"
