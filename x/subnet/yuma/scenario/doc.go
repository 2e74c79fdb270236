// Package scenario is the Yuma scenario simulator behind `tensorcosmd yuma simulate`: it
// reads a scenario (a subnet's stakes, hyperparameters, optional starting state and the
// weights, registrations and stakes of each epoch) from JSON, runs every epoch through
// yuma.Run, the engine the chain runs, and writes each epoch's results as JSON.
//
// It lives apart from package yuma so that the consensus package holds only the math and
// the chain links no JSON parsing. Parsing is strict and exact: unknown fields, duplicate
// keys and out-of-range values are errors naming their JSON path, decimals are read from
// the JSON text without floats, and output numbers come from yuma.Fixed.Decimal, so a
// scenario built from a chain's state replays its epochs bit for bit. README.md in this
// directory documents the format.
package scenario
