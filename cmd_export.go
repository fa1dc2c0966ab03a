package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newExportCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "export",
		Short:  "Export a session as a postmortem",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("export is not available in this build")
		},
	}
}
