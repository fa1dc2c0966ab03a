#!/usr/bin/env bash
# certs.sh DIR API_URL writes a throwaway PKI for a loopback-only test control
# plane into DIR (OpenSSL 3): a CA, the apiserver serving cert, the
# service-account signing key, and a client cert and kubeconfig per identity:
#   admin               kubernetes-admin (system:masters), for setup
#   readonly            kuberesponder, bound read-only by up.sh; the audit log records it
#   scheduler           system:kube-scheduler
#   controller-manager  system:kube-controller-manager (system:masters)
#   kwok                kwok-controller (system:masters)
#   apiserver-kubelet-client  the apiserver towards kwok's fake kubelets (no kubeconfig)
set -euo pipefail
D=${1:?usage: certs.sh DIR API_URL}
API=${2:?usage: certs.sh DIR API_URL}
mkdir -p "$D"
cd "$D"
umask 077

# All keys are EC P-256 (fast); every extension is given explicitly.
printf '[req]\ndistinguished_name=dn\n[dn]\n' > openssl.cnf
KEY=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc -config openssl.cnf -days 3650 -sha256)
USAGE=keyUsage=critical,digitalSignature,keyEncipherment

openssl req -x509 "${KEY[@]}" -keyout ca.key -subj /CN=kuberesponder-e2e-ca -out ca.crt \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null

# Leaf certificates, signed in parallel.
openssl req -x509 "${KEY[@]}" -keyout apiserver.key -subj /CN=kube-apiserver -CA ca.crt -CAkey ca.key -out apiserver.crt \
  -addext basicConstraints=critical,CA:FALSE -addext "$USAGE" -addext extendedKeyUsage=serverAuth \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc 2>/dev/null &
openssl ecparam -name prime256v1 -genkey -noout -out sa.key &
clients=("admin|kubernetes-admin|system:masters" "readonly|kuberesponder|" "scheduler|system:kube-scheduler|"
  "controller-manager|system:kube-controller-manager|system:masters" "kwok|kwok-controller|system:masters"
  "apiserver-kubelet-client|kube-apiserver-kubelet-client|system:masters")
for spec in "${clients[@]}"; do
  IFS='|' read -r name cn org <<<"$spec"
  subj="/CN=$cn"
  [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl req -x509 "${KEY[@]}" -keyout "$name.key" -subj "$subj" -CA ca.crt -CAkey ca.key -out "$name.crt" \
    -addext basicConstraints=critical,CA:FALSE -addext "$USAGE" -addext extendedKeyUsage=clientAuth 2>/dev/null &
done
wait
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null

for spec in "${clients[@]}"; do
  IFS='|' read -r name cn _ <<<"$spec"
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
rm -f openssl.cnf
