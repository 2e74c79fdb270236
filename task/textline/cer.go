package textline

// EditDistance is the Levenshtein distance between a and b in characters
// (runes): the fewest insertions, deletions and substitutions that turn
// one into the other.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			sub := prev[j-1]
			if ra[i-1] != rb[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// CER is the character error rate of a prediction against the truth:
// EditDistance / the truth's length in characters. It exceeds 1 when the
// prediction is much longer than the truth. An empty truth has CER 0 for an
// empty prediction and 1 otherwise.
func CER(pred, truth string) float64 {
	n := len([]rune(truth))
	if n == 0 {
		if pred == "" {
			return 0
		}
		return 1
	}
	return float64(EditDistance(pred, truth)) / float64(n)
}

// LineScore is a row's score: 1 - CER, clipped to [0, 1].
func LineScore(pred, truth string) float64 {
	return min(1, max(0, 1-CER(pred, truth)))
}
