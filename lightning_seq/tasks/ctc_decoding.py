"""CTC decoders as pure functions over log-probabilities ``(B, T, V)``: greedy and a batched prefix beam search.

The prefix beam search keeps, per utterance, ``beam_size`` distinct label prefixes with the log-probability of
all alignments ending in a blank (``p_b``) and in their last label (``p_nb``). Each step scores every prefix
staying the same and every prefix extended by each label at once, for the whole batch, with tensor operations.
Two candidates can only describe the same prefix when an extension ``k + c`` equals a kept prefix ``k'``; those
are found by comparing each prefix's parent hash with the other prefixes' hashes and merged (log-sum-exp).
"""

from __future__ import annotations

import torch
from torch import Tensor

_HASH_BASE = 1_000_003


def ctc_greedy_decode(log_probs: Tensor, lengths: Tensor, blank: int = 0) -> list[list[int]]:
    """Best path: the most likely label per step, repeats collapsed, blanks removed.

    Args:
        log_probs: ``(B, T, V)`` per-step (log-)probabilities.
        lengths: ``(B,)`` valid steps per row.
        blank: id of the CTC blank.

    Returns:
        One list of label ids per row.
    """
    best = log_probs.argmax(dim=-1)  # (B, T)
    steps = torch.arange(best.size(1), device=best.device)
    valid = steps.unsqueeze(0) < lengths.to(best.device).unsqueeze(1)  # (B, T)
    changed = torch.ones_like(valid)
    changed[:, 1:] = best[:, 1:] != best[:, :-1]
    keep = valid & changed & (best != blank)  # (B, T)
    return [row[mask].tolist() for row, mask in zip(best.cpu(), keep.cpu(), strict=True)]


def ctc_prefix_beam_search(
    log_probs: Tensor, lengths: Tensor, *, beam_size: int = 10, blank: int = 0
) -> tuple[list[list[int]], Tensor]:
    """Most likely label sequences by prefix beam search, batched over utterances and beams.

    Args:
        log_probs: ``(B, T, V)`` per-step log-probabilities (log-softmax output).
        lengths: ``(B,)`` valid steps per row.
        beam_size: prefixes kept per step (``K``).
        blank: id of the CTC blank.

    Returns:
        The best label sequence per row, and its log-probability ``(B,)`` (summed over its alignments).
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size!r}")
    lp = log_probs.detach().float()
    batch, steps, vocab = lp.shape
    device, k = lp.device, beam_size
    neg_inf = torch.tensor(float("-inf"), device=device)
    rows = torch.arange(batch, device=device)
    prefixes = torch.zeros(batch, k, steps + 1, dtype=torch.long, device=device)  # label ids per prefix
    size = torch.zeros(batch, k, dtype=torch.long, device=device)  # prefix lengths
    last = torch.full((batch, k), -1, dtype=torch.long, device=device)  # last label, -1 for the empty prefix
    hashes = torch.zeros(batch, k, dtype=torch.long, device=device)
    parent = torch.full((batch, k), -1, dtype=torch.long, device=device)  # hash of the prefix minus its last label
    p_b = torch.full((batch, k), float("-inf"), device=device)
    p_nb = torch.full((batch, k), float("-inf"), device=device)
    p_b[:, 0] = 0.0  # one live beam: the empty prefix
    labels = torch.arange(vocab, device=device)
    lengths = lengths.to(device)
    for t in range(steps):
        frame = lp[:, t]  # (B, V)
        total = torch.logaddexp(p_b, p_nb)  # (B, K)
        # stay: same prefix, by a blank, or by repeating its last label
        stay_b = total + frame[:, blank].unsqueeze(1)  # (B, K)
        last_lp = torch.where(last >= 0, frame.gather(1, last.clamp(min=0)), neg_inf)  # (B, K)
        stay_nb = p_nb + last_lp
        # extend: prefix + label c (after a repeat of the last label only from a blank-ending alignment)
        same = labels.view(1, 1, -1) == last.unsqueeze(-1)  # (B, K, V)
        ext = torch.where(same, p_b.unsqueeze(-1), total.unsqueeze(-1)) + frame.unsqueeze(1)  # (B, K, V)
        ext[:, :, blank] = float("-inf")
        # merge extensions that recreate a kept prefix: parent(k') == hash(k) and c == last(k')
        match = (parent.unsqueeze(2) == hashes.unsqueeze(1)) & (size.unsqueeze(2) == size.unsqueeze(1) + 1)  # (B,K',K)
        match &= torch.isfinite(total).unsqueeze(1) & torch.isfinite(total).unsqueeze(2)
        into = ext.gather(2, last.clamp(min=0).unsqueeze(1).expand(-1, k, -1))  # (B, K, K'): ext[k, last[k']]
        merged = torch.where(match, into.transpose(1, 2), neg_inf)  # (B, K', K)
        stay_nb = torch.logaddexp(stay_nb, torch.logsumexp(merged, dim=2))
        # ... and drop those extensions as separate candidates: drop[k, last[k']] where match[k', k]
        index = last.clamp(min=0).unsqueeze(1).expand(-1, k, -1)  # (B, K, K'): last[k']
        drop = torch.zeros(batch, k, vocab, dtype=torch.long, device=device)
        drop.scatter_add_(2, index, match.transpose(1, 2).long())
        ext = ext.masked_fill(drop > 0, float("-inf"))
        # choose the best K of K stays and K*V extensions
        scores = torch.cat([torch.logaddexp(stay_b, stay_nb), ext.reshape(batch, k * vocab)], dim=1)
        top, pick = scores.topk(k, dim=1)  # (B, K)
        from_stay = pick < k
        src = torch.where(from_stay, pick, (pick - k) // vocab)  # (B, K) source beam
        new_label = torch.where(from_stay, torch.full_like(pick, -1), (pick - k) % vocab)
        beam = (rows.unsqueeze(1), src)  # index of each new beam's source beam
        new_prefixes, new_size, new_last, new_hash = prefixes[beam], size[beam], last[beam], hashes[beam]
        new_parent = torch.where(from_stay, parent[beam], new_hash)
        new_prefixes.scatter_(2, new_size.unsqueeze(-1), torch.where(from_stay, new_prefixes.gather(
            2, new_size.unsqueeze(-1)).squeeze(-1), new_label).unsqueeze(-1))
        new_hash = torch.where(from_stay, new_hash, new_hash * _HASH_BASE + new_label + 1)
        new_last = torch.where(from_stay, new_last, new_label)
        new_size = torch.where(from_stay, new_size, new_size + 1)
        new_pb = torch.where(from_stay, stay_b[beam], neg_inf)
        new_pnb = torch.where(from_stay, stay_nb[beam], top)
        new_pb = torch.where(torch.isfinite(top), new_pb, neg_inf)
        new_pnb = torch.where(torch.isfinite(top), new_pnb, neg_inf)
        active = (t < lengths).view(batch, 1)  # rows past their length keep their beams
        prefixes = torch.where(active.unsqueeze(-1), new_prefixes, prefixes)
        size, last = torch.where(active, new_size, size), torch.where(active, new_last, last)
        hashes, parent = torch.where(active, new_hash, hashes), torch.where(active, new_parent, parent)
        p_b, p_nb = torch.where(active, new_pb, p_b), torch.where(active, new_pnb, p_nb)
    final = torch.logaddexp(p_b, p_nb)  # (B, K)
    best_score, best = final.max(dim=1)
    best_prefix = prefixes[rows, best].cpu()
    best_size = size[rows, best].cpu()
    return [best_prefix[b, : best_size[b]].tolist() for b in range(batch)], best_score
