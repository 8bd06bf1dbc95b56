#!/usr/bin/env bash
# Regenerates the test certificates (valid for 100 years): a test CA, and a
# server certificate for DNS name "localhost" only (not 127.0.0.1), signed by
# it. The HTTPS tests check that the client trusts the CA only when told to,
# and that it checks the host name.
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 36500 \
  -subj "/CN=scrm-bot test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
  -subj "/CN=localhost" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
  -days 36500 -extfile <(printf "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n") \
  2>/dev/null
rm -f server.csr ca.srl ca.key
