//! A tournament of sorted sources (a loser tree): which source holds the smallest next row,
//! kept up to date with one comparison per level of the tree each time the winner moves on
//! (a binary heap needs two), for the merge of millions of rows from tens of runs.

/// The sources `0..k` in a tournament; a finished source loses to every other.
pub(crate) struct Tournament {
    k: usize,
    /// `losers[p]`: the source that lost at inner node `p` (`1..k`); leaf `i` sits at `k + i`.
    losers: Vec<usize>,
    winner: usize,
    done: Vec<bool>,
}

impl Tournament {
    /// The tournament of `k` sources, of which those with `done[i]` have no row;
    /// `less(a, b)`: the next row of `a` comes before that of `b` (a strict total order, ties
    /// broken by the sources' numbers).
    pub(crate) fn new(done: Vec<bool>, less: impl Fn(usize, usize) -> bool) -> Tournament {
        let k = done.len();
        let mut t = Tournament { k, losers: vec![0; k], winner: 0, done };
        // The winner of every node, from the leaves up.
        let mut winners = vec![0; 2 * k];
        for i in 0..k {
            winners[k + i] = i;
        }
        for p in (1..k).rev() {
            let (a, b) = (winners[2 * p], winners[2 * p + 1]);
            let (w, l) = if t.beats(a, b, &less) { (a, b) } else { (b, a) };
            winners[p] = w;
            t.losers[p] = l;
        }
        // The root (node 1 is leaf 0 itself when there is one source).
        t.winner = winners.get(1).copied().unwrap_or(0);
        t
    }

    fn beats(&self, a: usize, b: usize, less: &impl Fn(usize, usize) -> bool) -> bool {
        match (self.done[a], self.done[b]) {
            (false, false) => less(a, b),
            (false, true) => true,
            (true, _) => false,
        }
    }

    /// The source with the smallest next row, `None` once every source is finished.
    pub(crate) fn winner(&self) -> Option<usize> {
        (self.k > 0 && !self.done[self.winner]).then_some(self.winner)
    }

    /// The winner has moved on to its next row (`finished`: it has none left): plays it again
    /// up the tree.
    pub(crate) fn replay(&mut self, finished: bool, less: impl Fn(usize, usize) -> bool) {
        let mut w = self.winner;
        self.done[w] |= finished;
        let mut p = (self.k + w) / 2;
        while p >= 1 {
            if self.beats(self.losers[p], w, &less) {
                std::mem::swap(&mut self.losers[p], &mut w);
            }
            p /= 2;
        }
        self.winner = w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_merge_in_order_whatever_their_number_and_lengths() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for k in 0..12 {
            let mut runs: Vec<Vec<usize>> = (0..k).map(|_| (0..next() % 6).map(|_| next() % 20).collect()).collect();
            runs.iter_mut().for_each(|r| r.sort_unstable());
            let mut at = vec![0; k];
            let less = |at: &[usize], a: usize, b: usize| (runs[a][at[a]], a) < (runs[b][at[b]], b);
            let mut t = Tournament::new(runs.iter().map(Vec::is_empty).collect(), |a, b| less(&at, a, b));
            let mut merged = Vec::new();
            while let Some(w) = t.winner() {
                merged.push((runs[w][at[w]], w));
                at[w] += 1;
                let finished = at[w] == runs[w].len();
                t.replay(finished, |a, b| less(&at, a, b));
            }
            let mut want: Vec<(usize, usize)> =
                runs.iter().enumerate().flat_map(|(i, r)| r.iter().map(move |v| (*v, i))).collect();
            want.sort_unstable();
            assert_eq!(merged, want, "{k} sources: {runs:?}");
        }
    }
}
