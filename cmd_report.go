package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newReportCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "report",
		Short:  "Print the first-response triage report",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("report is not available in this build")
		},
	}
}
