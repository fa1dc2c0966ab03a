package kubetest_test

import (
	"testing"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }
