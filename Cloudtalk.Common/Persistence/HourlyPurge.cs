using Cloudtalk.Common.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Deletes the rows of <typeparamref name="TContext"/> that a subclass names as expired, at start and hourly, each
/// round in a DI scope of its own. A failed round is logged and the next one comes an hour later: a purge only keeps a
/// table small, nothing waits for it.
/// </summary>
/// <typeparam name="TContext">The context whose rows are purged.</typeparam>
public abstract partial class HourlyPurge<TContext>(IServiceScopeFactory scopeFactory, TimeProvider timeProvider, ILogger logger)
    : BackgroundService
    where TContext : DbContext
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>What is purged, for the logs, e.g. "expired idempotency keys".</summary>
    protected abstract string Rows { get; }

    /// <summary>Deletes the rows expired at <paramref name="now"/>.</summary>
    /// <param name="db">The round's context.</param>
    /// <param name="now">The round's time.</param>
    /// <param name="cancellationToken">Cancelled when the service stops.</param>
    /// <returns>How many rows were deleted.</returns>
    protected abstract Task<int> PurgeAsync(TContext db, DateTimeOffset now, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                var purged = await PurgeAsync(scope.ServiceProvider.GetRequiredService<TContext>(), timeProvider.GetUtcNow(), stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged, Rows);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPurgeFailed(logger, Rows, ErrorSummary.Of(exception));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} {Rows}.")]
    private static partial void LogPurged(ILogger logger, int count, string rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging {Rows} failed; trying again in an hour ({Error}).")]
    private static partial void LogPurgeFailed(ILogger logger, string rows, ErrorSummary error);
}
