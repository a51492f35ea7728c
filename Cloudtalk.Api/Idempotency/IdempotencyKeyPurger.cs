using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Idempotency;

/// <summary>
/// Deletes stored answers older than <see cref="IdempotencyStore.Retention"/>, at start and hourly. An expired key is
/// already treated as free when it comes again; this only keeps the table small.
/// </summary>
public sealed class IdempotencyKeyPurger(
    IServiceScopeFactory scopeFactory,
    TimeProvider timeProvider,
    ILogger<IdempotencyKeyPurger> logger) : HourlyPurge<ApiDbContext>(scopeFactory, timeProvider, logger)
{
    protected override string Rows => "expired idempotency keys";

    protected override Task<int> PurgeAsync(ApiDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = now - IdempotencyStore.Retention;
        return db.IdempotencyRecords.Where(record => record.CreatedAt < before).ExecuteDeleteAsync(cancellationToken);
    }
}
