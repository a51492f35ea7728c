using Cloudtalk.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Reviews;

/// <summary>
/// Hands out review ids from blocks reserved in the <c>review_ids</c> sequence (hi/lo): each value the sequence gives
/// reserves the block of <c>IncrementBy</c> ids that starts at it, and the process uses up a block before it draws the
/// next one. A create thus knows its review's id (which its event carries) without a round trip of its own. Ids left in
/// a block when the process stops are never used: ids have gaps, never duplicates.
/// </summary>
/// <remarks>Hand-written because EF Core's hi/lo generator serves <c>SaveChanges</c>; the batch insert bypasses it.</remarks>
public sealed class ReviewIdBlocks : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<long> _reserved = new();
    private readonly SemaphoreSlim _drawing = new(1, 1);
    private long _next;
    private long _end;

    /// <summary>Gives every review without an id (<c>Id == 0</c>) the next free one.</summary>
    /// <param name="db">Draws more blocks when the reserved ones run out.</param>
    /// <param name="reviews">The reviews; an id already given is kept.</param>
    /// <param name="cancellationToken">Cancels a draw.</param>
    public async Task AssignAsync(ApiDbContext db, IReadOnlyList<Review> reviews, CancellationToken cancellationToken)
    {
        var blockSize = db.Model.FindSequence(ReviewEntityConfiguration.IdSequence)!.IncrementBy;
        while (true)
        {
            int missing;
            lock (_gate)
            {
                missing = Take(reviews, blockSize);
            }

            if (missing == 0)
            {
                return;
            }

            await _drawing.WaitAsync(cancellationToken);
            try
            {
                int blocks;
                lock (_gate)
                {
                    // Another caller may have drawn while this one waited.
                    var available = _end - _next + (long)_reserved.Count * blockSize;
                    blocks = (int)Math.Max(0, (missing - available + blockSize - 1) / blockSize);
                }

                if (blocks > 0)
                {
                    var starts = await db.Database
                        .SqlQueryRaw<long>($"SELECT nextval('{ReviewEntityConfiguration.IdSequence}') AS \"Value\" FROM generate_series(1, {{0}})", blocks)
                        .ToListAsync(cancellationToken);
                    lock (_gate)
                    {
                        starts.ForEach(_reserved.Enqueue);
                    }
                }
            }
            finally
            {
                _drawing.Release();
            }
        }
    }

    public void Dispose() => _drawing.Dispose();

    /// <returns>How many reviews are left without an id.</returns>
    private int Take(IReadOnlyList<Review> reviews, int blockSize)
    {
        var missing = 0;
        foreach (var review in reviews.Where(review => review.Id == 0))
        {
            if (_next == _end && _reserved.TryDequeue(out var start))
            {
                (_next, _end) = (start, start + blockSize);
            }

            if (_next < _end)
            {
                review.Id = _next++;
            }
            else
            {
                missing++;
            }
        }

        return missing;
    }
}
