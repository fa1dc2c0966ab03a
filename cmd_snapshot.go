package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSnapshotCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "snapshot",
		Short:  "Capture the cluster state into a file",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("snapshot is not available in this build")
		},
	}
}
