package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSessionsCmd(o *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "sessions",
		Short:  "List saved sessions",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("sessions is not available in this build")
		},
	}
}
