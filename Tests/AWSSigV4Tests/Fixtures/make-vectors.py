#!/usr/bin/env python3
"""Regenerates sigv4-vectors.json with botocore's own signer (run once; the output is checked in).

Each vector is a request, the fixed date and credentials, and what botocore computed: the canonical request,
the signed headers and the Authorization header. The Swift signer must reproduce all three.
"""
import datetime
import json
import re
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
CASES = [
    dict(name="ec2 DescribeInstances with a tag filter", service="ec2", region="us-east-1",
         method="POST", url="https://ec2.us-east-1.amazonaws.com/",
         body="Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=web-1"),
    dict(name="ec2 CreateTags with reserved characters", service="ec2", region="eu-west-1",
         method="POST", url="https://ec2.eu-west-1.amazonaws.com/",
         body="Action=CreateTags&Version=2016-11-15&ResourceId.1=snap-0123&Tag.1.Key=forklift.konveyor.io%2FvmID"
              "&Tag.1.Value=a%20b%2Bc%3D%2A~"),
    dict(name="sts GetCallerIdentity with a session token", service="sts", region="us-east-1",
         method="POST", url="https://sts.us-east-1.amazonaws.com/", token="FQoGZXIvYXdzEXAMPLETOKEN+/=",
         body="Action=GetCallerIdentity&Version=2011-06-15"),
    dict(name="ec2 on a local endpoint with a port", service="ec2", region="us-east-1",
         method="POST", url="http://127.0.0.1:5055/",
         body="Action=DescribeVpcs&Version=2016-11-15"),
    dict(name="GET with a query string to sort and encode", service="ec2", region="cn-north-1",
         method="GET", url="https://ec2.cn-north-1.amazonaws.com.cn/?Version=2016-11-15&Action=DescribeRegions"
                           "&Filter.1.Value.1=a%20b&Filter.1.Name=region-name", body=""),
]
DATE = datetime.datetime(2026, 1, 2, 3, 4, 5)


def main():
    vectors = []
    for case in CASES:
        creds = Credentials(KEY, SECRET, case.get("token"))
        headers = {"Content-Type": FORM} if case["body"] else {}
        request = AWSRequest(method=case["method"], url=case["url"], data=case["body"], headers=headers)
        auth = SigV4Auth(creds, case["service"], case["region"])
        captured = []
        original = auth.canonical_request
        auth.canonical_request = lambda req: captured.append(original(req)) or captured[-1]
        with mock.patch("botocore.auth.get_current_datetime", return_value=DATE):
            auth.add_auth(request)
        canonical = captured[0]
        vectors.append(dict(
            name=case["name"], service=case["service"], region=case["region"], method=case["method"],
            url=case["url"], body=case["body"], headers=headers, sessionToken=case.get("token"),
            accessKeyID=KEY, secretAccessKey=SECRET, date="2026-01-02T03:04:05Z",
            canonicalRequest=canonical, signedHeaders=re.search(r"SignedHeaders=([^,]+)", request.headers["Authorization"]).group(1),
            authorization=request.headers["Authorization"]))
    with open("sigv4-vectors.json", "w") as out:
        json.dump(vectors, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
