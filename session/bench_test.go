package session

import (
	"fmt"
	"testing"
)

// BenchmarkNext measures deriving the next request from a long journal.
func BenchmarkNext(b *testing.B) {
	for _, turns := range []int{10, 50} {
		b.Run(fmt.Sprintf("turns=%d", turns), func(b *testing.B) {
			s, _ := startSession(b, Options{})
			for i := 1; i <= turns; i++ {
				runTurn(b, s, i, 60)
			}
			s.Operator("latest")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if s.Next().Kind != StepModel {
					b.Fatal("not a model step")
				}
			}
		})
	}
}

// BenchmarkAppend measures one journaled, fsynced event.
func BenchmarkAppend(b *testing.B) {
	s, _ := startSession(b, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Note("note"); err != nil {
			b.Fatal(err)
		}
	}
}
