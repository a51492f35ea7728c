using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>
/// Deletes <c>processed_events</c> rows older than <c>Rating:ProcessedEventRetention</c> (default 7 days), hourly.
/// Safe because idempotency does not rest on this table alone: a review event older than its review's recorded
/// version is ignored anyway, and a repeated <c>product-deleted</c> finds the product already marked deleted.
/// The table only has to outlive any plausible redelivery.
/// </summary>
public sealed class ProcessedEventsPurger(
    IServiceScopeFactory scopeFactory,
    IConfiguration configuration,
    TimeProvider timeProvider,
    ILogger<ProcessedEventsPurger> logger) : HourlyPurge<RatingDbContext>(scopeFactory, timeProvider, logger)
{
    private readonly TimeSpan _retention = configuration.GetValue("Rating:ProcessedEventRetention", TimeSpan.FromDays(7));

    protected override string Rows => "processed-event records past their retention";

    protected override Task<int> PurgeAsync(RatingDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = now - _retention;
        return db.ProcessedEvents.Where(processed => processed.ProcessedAt < before).ExecuteDeleteAsync(cancellationToken);
    }
}
