#!/usr/bin/env python3
"""Mirror the China storefront assets bucket (Alibaba OSS) to S3."""
import oss2

ACCESS_KEY_ID = "LTAI5twmZBCpphFSMEH2MiuC"
ACCESS_KEY_SECRET = "ud4Q0iOulXxf35j71uM2hn6d45JLlf"
ENDPOINT = "https://oss-cn-shanghai.aliyuncs.com"

auth = oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
bucket = oss2.Bucket(auth, ENDPOINT, "acme-cn-assets")

for obj in oss2.ObjectIterator(bucket, prefix="img/"):
    print(obj.key, obj.etag)
