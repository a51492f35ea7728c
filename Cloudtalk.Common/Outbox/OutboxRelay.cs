using Cloudtalk.Common.Diagnostics;
using Cloudtalk.Common.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cloudtalk.Common.Outbox;

/// <summary>
/// Puts the committed outbox rows of <typeparamref name="TContext"/> on the wire. Woken at once by a commit in this
/// process (<see cref="OutboxSignal{TContext}"/>), and every <see cref="OutboxOptions.PollInterval"/> for rows left by
/// a crash or another replica. Each round claims up to <see cref="OutboxOptions.BatchSize"/> unsent rows with
/// <c>SELECT ... FOR UPDATE SKIP LOCKED</c> (so replicas never publish the same row at once), publishes them all at
/// once, awaits every broker confirmation, and marks sent only the confirmed ones, in the same transaction. When the
/// broker or the database fails, the unconfirmed rows stay unsent and the relay retries with a doubling backoff: nothing is dropped and nothing is marked sent without a confirmation. A crash
/// between the confirmation and the commit publishes a row twice: delivery is at least once, consumers are
/// idempotent by event id.
/// </summary>
/// <typeparam name="TContext">The context whose model contains the outbox.</typeparam>
public sealed partial class OutboxRelay<TContext>(
    IServiceScopeFactory scopeFactory,
    IEventPublisher publisher,
    OutboxSignal<TContext> signal,
    IOptions<OutboxOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxRelay<TContext>> logger) : BackgroundService
    where TContext : DbContext
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        var nextPurge = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Drain: a full batch means there may be more.
                int claimed;
                do
                {
                    claimed = await RelayBatchAsync(settings.BatchSize, stoppingToken);
                }
                while (claimed == settings.BatchSize && !stoppingToken.IsCancellationRequested);

                if (timeProvider.GetUtcNow() >= nextPurge)
                {
                    await PurgeAsync(settings.SentRetention, stoppingToken);
                    nextPurge = timeProvider.GetUtcNow() + settings.PurgeInterval;
                }

                failures = 0;
                await signal.WaitAsync(settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                failures++;
                OutboxTelemetry.FailedRounds.Add(1, new KeyValuePair<string, object?>("cloudtalk.context", typeof(TContext).Name));
                var delay = TimeSpan.FromMilliseconds(Math.Min(
                    settings.MaxRetryDelay.TotalMilliseconds,
                    settings.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16))));
                LogRoundFailed(logger, typeof(TContext).Name, delay, ErrorSummary.Of(exception));
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>One round: claim, publish in order, mark the confirmed ones sent, commit.</summary>
    /// <returns>How many rows were claimed.</returns>
    private async Task<int> RelayBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var strategy = context.Database.CreateExecutionStrategy();

        var (claimed, failure) = await strategy.ExecuteAsync(async token =>
        {
            context.ChangeTracker.Clear();
            await using var transaction = await context.Database.BeginTransactionAsync(token);
            var batch = await context.Set<OutboxMessage>()
                .FromSqlRaw(
                    $"SELECT * FROM {OutboxMessageConfiguration.TableName} WHERE sent_at IS NULL " +
                    "ORDER BY sequence LIMIT {0} FOR UPDATE SKIP LOCKED", batchSize)
                .AsNoTracking()
                .ToListAsync(token);

            // All of the batch on the wire at once, then every confirmation awaited: one round trip per batch, not per
            // row. Consumers do not rely on the order of events (versions and event ids make them order-safe).
            var publishes = batch.Select(message => (message.Id, Publish: publisher.PublishAsync(message.ToOutgoingMessage(), token))).ToList();
            var confirmed = new List<Guid>(batch.Count);
            Exception? publishFailure = null;
            foreach (var (id, publish) in publishes)
            {
                try
                {
                    await publish;
                    confirmed.Add(id);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    // The row stays unsent and the next round publishes it again; the confirmed ones are marked below.
                    publishFailure ??= exception;
                }
            }

            if (confirmed.Count > 0)
            {
                var sentAt = timeProvider.GetUtcNow();
                await context.Set<OutboxMessage>()
                    .Where(message => confirmed.Contains(message.Id))
                    .ExecuteUpdateAsync(setters => setters.SetProperty(message => message.SentAt, sentAt), token);
            }

            await transaction.CommitAsync(token);
            if (confirmed.Count > 0)
            {
                OutboxTelemetry.Relayed.Add(confirmed.Count, new KeyValuePair<string, object?>("cloudtalk.context", typeof(TContext).Name));
                LogRelayed(logger, confirmed.Count, typeof(TContext).Name);
            }

            return (batch.Count, publishFailure);
        }, cancellationToken);

        if (failure is not null)
        {
            throw new OutboxPublishException($"Publishing an outbox row of {typeof(TContext).Name} failed; it stays unsent.", failure);
        }

        return claimed;
    }

    private async Task PurgeAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var before = timeProvider.GetUtcNow() - retention;
        await context.Set<OutboxMessage>()
            .Where(message => message.SentAt != null && message.SentAt < before)
            .ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relayed {Count} outbox messages of {Context}.")]
    private static partial void LogRelayed(ILogger logger, int count, string context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An outbox round of {Context} failed; retrying in {Delay} ({Error}).")]
    private static partial void LogRoundFailed(ILogger logger, string context, TimeSpan delay, ErrorSummary error);
}

/// <summary>An outbox row could not be published; it stays unsent and the relay retries it.</summary>
public sealed class OutboxPublishException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OutboxPublishException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public OutboxPublishException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The publisher's exception.</param>
    public OutboxPublishException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
