using System.Diagnostics;
using Cloudtalk.Common.Persistence;

namespace Cloudtalk.Api.Reviews;

/// <summary>A review to insert, and the request that asked for it (whose trace its event continues).</summary>
public sealed record NewReview(Review Review, Activity? RaisedIn);

/// <summary>
/// The review creates of concurrent requests, combined into one transaction at a time (group commit, see
/// <see cref="WriteBatcher{TItem, TResult}"/>): under load a single transaction, WAL flush and cache invalidation
/// carries dozens of reviews.
/// </summary>
public sealed class ReviewCreationBatcher(IServiceScopeFactory scopes)
    : WriteBatcher<NewReview, ReviewWriteResult>(scopes, "create reviews", MaxBatchSize, ConcurrentBatches)
{
    /// <summary>A batch's reviews and their outbox rows go to PostgreSQL as one command batch of twice this many statements.</summary>
    public const int MaxBatchSize = 64;

    /// <summary>Two: while one batch waits for its commit, the next one is being written.</summary>
    public const int ConcurrentBatches = 2;

    protected override Task<IReadOnlyList<ReviewWriteResult>> WriteBatchAsync(
        IServiceProvider services, IReadOnlyList<NewReview> batch, CancellationToken cancellationToken) =>
        services.GetRequiredService<ReviewRepository>().InsertBatchAsync(batch, cancellationToken);
}
