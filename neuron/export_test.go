package neuron

// JoinedRefreshes is how many Refresh calls of v shared a read in flight.
func JoinedRefreshes(v *MetagraphView) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.joined
}
