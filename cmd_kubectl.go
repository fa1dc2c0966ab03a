package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newKubectlCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "kubectl",
		Short:  "Run one kubectl action through the read-only engine",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("kubectl is not available in this build")
		},
	}
}
