#!/usr/bin/env bash
# certs.sh DIR API_URL writes a throwaway PKI for a loopback-only test control
# plane into DIR: a CA, the apiserver serving cert, the service-account key
# pair, one client cert per component and a kubeconfig for each identity:
#   admin          kubernetes-admin (system:masters), for setup
#   readonly       kuberesponder, bound read-only by up.sh; the audit log records it
#   scheduler      system:kube-scheduler
#   controller-manager  system:kube-controller-manager (system:masters, see up.sh)
#   kwok           kwok-controller (system:masters)
set -euo pipefail
D=${1:?usage: certs.sh DIR API_URL}
API=${2:?usage: certs.sh DIR API_URL}
mkdir -p "$D"
cd "$D"
umask 077

# EC P-256 keys are fast to generate.
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=kuberesponder-e2e-ca" -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"

# The apiserver serving cert, also used by kwok's fake kubelet server.
openssl ecparam -name prime256v1 -genkey -noout -out apiserver.key
openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr
printf '%s\n' \
  'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc' \
  'extendedKeyUsage=serverAuth' 'keyUsage=critical,digitalSignature,keyEncipherment' > apiserver.ext
openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
  -extfile apiserver.ext -out apiserver.crt 2>/dev/null

# Service-account signing key (RSA, as kubeadm does).
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

printf '%s\n' 'extendedKeyUsage=clientAuth' 'keyUsage=critical,digitalSignature,keyEncipherment' > client.ext
# name|CN|O
for spec in "admin|kubernetes-admin|system:masters" \
            "readonly|kuberesponder|" \
            "scheduler|system:kube-scheduler|" \
            "controller-manager|system:kube-controller-manager|system:masters" \
            "kwok|kwok-controller|system:masters" \
            "apiserver-kubelet-client|kube-apiserver-kubelet-client|system:masters"; do
  IFS='|' read -r name cn org <<<"$spec"
  subj="/CN=$cn"
  [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key"
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
    -extfile client.ext -out "$name.crt" 2>/dev/null
  [ "$name" = apiserver-kubelet-client ] && continue
  cat > "$name.kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: kuberesponder-e2e
  cluster:
    server: $API
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $cn
  user:
    client-certificate-data: $(base64 -w0 "$name.crt")
    client-key-data: $(base64 -w0 "$name.key")
contexts:
- name: $name@kuberesponder-e2e
  context: {cluster: kuberesponder-e2e, user: $cn, namespace: default}
current-context: $name@kuberesponder-e2e
KCFG
done
rm -f ./*.csr ./*.ext ca.srl
