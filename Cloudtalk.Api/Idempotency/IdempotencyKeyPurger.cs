using Cloudtalk.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Idempotency;

/// <summary>
/// Deletes stored answers older than <see cref="IdempotencyStore.Retention"/>, at start and hourly. An expired key is
/// already treated as free when it comes again; this only keeps the table small.
/// </summary>
public sealed partial class IdempotencyKeyPurger(
    IServiceScopeFactory scopeFactory,
    TimeProvider timeProvider,
    ILogger<IdempotencyKeyPurger> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
                var before = timeProvider.GetUtcNow() - IdempotencyStore.Retention;
                await db.IdempotencyRecords.Where(record => record.CreatedAt < before).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPurgeFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired idempotency keys failed; trying again in an hour.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
