using System.Diagnostics;
using Cloudtalk.Api.Idempotency;
using Cloudtalk.Common.Persistence;

namespace Cloudtalk.Api.Reviews;

/// <summary>
/// A review to insert, the request that asked for it (whose trace its event continues) and, for a create sent with an
/// <c>Idempotency-Key</c>, the key its answer is stored under.
/// </summary>
public sealed record NewReview(Review Review, Activity? RaisedIn, IdempotentRequest? Idempotency = null);

/// <summary>
/// The review creates of concurrent requests, combined into one transaction at a time (group commit, see
/// <see cref="WriteBatcher{TItem, TResult}"/>): under load a single transaction, WAL flush and cache invalidation
/// carries dozens of reviews.
/// </summary>
public sealed class ReviewCreationBatcher(IServiceScopeFactory scopes)
    : WriteBatcher<NewReview, ReviewWriteResult>(scopes, "create reviews", MaxBatchSize, ConcurrentBatches)
{
    /// <summary>The most reviews one batch carries; they and their outbox rows go to PostgreSQL in one statement.</summary>
    public const int MaxBatchSize = 64;

    /// <summary>Two: while one batch waits for its commit, the next one is being written.</summary>
    public const int ConcurrentBatches = 2;

    protected override Task<IReadOnlyList<ReviewWriteResult>> WriteBatchAsync(
        IServiceProvider services, IReadOnlyList<NewReview> batch, CancellationToken cancellationToken) =>
        services.GetRequiredService<ReviewRepository>().InsertBatchAsync(batch, cancellationToken);
}
