using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>
/// Deletes <c>processed_events</c> rows older than <c>Rating:ProcessedEventRetention</c> (default 7 days), hourly.
/// Safe because idempotency does not rest on this table alone: a review event older than its review's recorded
/// version is ignored anyway, and a repeated <c>product-deleted</c> finds the product already marked deleted.
/// The table only has to outlive any plausible redelivery.
/// </summary>
public sealed partial class ProcessedEventsPurger(
    IServiceScopeFactory scopeFactory,
    IConfiguration configuration,
    TimeProvider timeProvider,
    ILogger<ProcessedEventsPurger> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = configuration.GetValue("Rating:ProcessedEventRetention", TimeSpan.FromDays(7));
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RatingDbContext>();
                var before = timeProvider.GetUtcNow() - retention;
                var purged = await db.ProcessedEvents.Where(processed => processed.ProcessedAt < before).ExecuteDeleteAsync(stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPurgeFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} processed-event records past their retention.")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging processed-event records failed; trying again in an hour.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
