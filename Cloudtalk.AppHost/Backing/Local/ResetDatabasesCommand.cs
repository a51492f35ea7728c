using Cloudtalk.AppHost.Commands;
using Cloudtalk.Common.Caching;
using Cloudtalk.Common.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// The dashboard command "reset-databases" on the local PostgreSQL (local mode only: it is a developer's tool,
/// never offered against a deployed database). It empties every application table of both databases, purges the
/// consuming queues and their dead-letter queues, then flushes the local Redis and retires the Api's in-process
/// cache entries, so that no cached answer outlives the rows it came from. The schema and its migration history
/// stay, so the services go on without a restart.
/// </summary>
/// <remarks>
/// <para>Why the queues: ids start at 1 again, so an event about an old product, still queued, would otherwise be
/// applied to the new product that gets its id (an old <c>review-created</c> counted in the new product's rating).</para>
/// <para>Meant for an idle system all the same: an event a service has already taken off its queue when the command
/// runs is still handled afterwards, against the empty tables.</para>
/// </remarks>
internal static class ResetDatabasesCommand
{
    public const string Name = "reset-databases";

    private const string MigrationHistoryTable = "__EFMigrationsHistory";

    // Every table of the application's schemas, whatever the services add later (outbox, processed events, ...).
    private const string ApplicationTablesSql = """
        SELECT format('%I.%I', schemaname, tablename)
        FROM pg_catalog.pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> @history
        ORDER BY 1
        """;

    public static IResourceBuilder<ExecutableResource> WithResetDatabasesCommand(
        this IResourceBuilder<ExecutableResource> postgres,
        IResourceBuilder<IResourceWithConnectionString> apiDatabase,
        IResourceBuilder<IResourceWithConnectionString> ratingDatabase,
        IResourceBuilder<IResourceWithConnectionString> messaging,
        IResourceBuilder<IResourceWithConnectionString> cache) =>
        postgres.WithCommand(Name, "Reset databases",
            context => ResetAsync([apiDatabase.Resource, ratingDatabase.Resource], messaging.Resource, cache.Resource, context),
            new CommandOptions
            {
                Description = "Empties every table of the Api's and Rating's databases (ids start at 1 again), purges the " +
                    "services' queues and dead-letter queues and flushes the local Redis.",
                ConfirmationMessage = "Delete every product, review, rating and queued event of this local run?",
                IconName = "DatabaseArrowDown",
                UpdateState = CommandState.EnabledWhenHealthy,
            });

    private static async Task<ExecuteCommandResult> ResetAsync(
        IResourceWithConnectionString[] databases, IResourceWithConnectionString messaging, IResourceWithConnectionString cache,
        ExecuteCommandContext context)
    {
        var cancellationToken = context.CancellationToken;
        try
        {
            var emptied = 0;
            foreach (var database in databases)
            {
                emptied += await EmptyTablesAsync(database, cancellationToken);
            }

            // After the tables, which include the outboxes: the relays publish nothing old after that, except what
            // they had already claimed, and that lands on the queues before the purge.
            var purged = await PurgeQueuesAsync(messaging, cancellationToken);

            // After the tables: an answer cached in between would otherwise survive the reset.
            await FlushAsync(cache, cancellationToken);

            context.Logger.LogInformation("Reset: emptied {Tables} tables, purged {Messages} queued messages and flushed the cache",
                emptied, purged);
            return CommandResults.Success(
                $"Emptied {emptied} tables in {databases.Length} databases, purged {purged} queued messages and flushed the cache.");
        }
        catch (Exception exception) when (exception is NpgsqlException or RedisException or TimeoutException
            or RabbitMQClientException or IOException)
        {
            return CommandResults.Failure($"The reset failed: {exception.Message}");
        }
    }

    private static async Task<int> EmptyTablesAsync(IResourceWithConnectionString database, CancellationToken cancellationToken)
    {
        var connectionString = await database.GetConnectionStringAsync(cancellationToken)
            ?? throw new InvalidOperationException($"{database.Name} has no connection string yet.");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(ApplicationTablesSql, connection))
        {
            list.Parameters.AddWithValue("history", MigrationHistoryTable);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        if (tables.Count == 0)
        {
            // Not migrated yet: nothing to empty.
            return 0;
        }

        // One statement: all tables empty at once (foreign keys never see half a reset), identities restart.
        // A bounded lock wait: a long transaction of a service fails the command instead of hanging it.
        // The services keep working meanwhile (the outbox relay, the consumers), and TRUNCATE takes its table
        // locks one table after the other, so PostgreSQL may pick it as a deadlock victim: that is safe to retry.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var truncate = new NpgsqlCommand(
                    $"SET lock_timeout = '10s'; TRUNCATE TABLE {string.Join(", ", tables)} RESTART IDENTITY CASCADE", connection);
                await truncate.ExecuteNonQueryAsync(cancellationToken);
                return tables.Count;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>Purges every consuming queue and its dead-letter queue; returns how many messages they held.</summary>
    private static async Task<uint> PurgeQueuesAsync(IResourceWithConnectionString messaging, CancellationToken cancellationToken)
    {
        var connectionString = await messaging.GetConnectionStringAsync(cancellationToken)
            ?? throw new InvalidOperationException($"{messaging.Name} has no connection string yet.");
        var factory = new ConnectionFactory { Uri = new Uri(connectionString), AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync("cloudtalk-apphost reset-databases", cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        // Declaring is idempotent, and a purge of a queue no service has declared yet would close the channel.
        await MessagingTopology.DeclareAsync(channel, cancellationToken);

        uint purged = 0;
        foreach (var queue in MessagingTopology.Queues.Keys)
        {
            purged += await channel.QueuePurgeAsync(queue, cancellationToken);
            purged += await channel.QueuePurgeAsync(MessagingTopology.DeadLetterQueueOf(queue), cancellationToken);
        }

        return purged;
    }

    /// <summary>
    /// Empties the local Redis (this run's own server: it holds nothing but the Api's cache) and retires what the
    /// running Api replicas still hold in process: FLUSHDB alone would leave those entries served until they expire,
    /// and would let a load that read the database before the reset store its answer again.
    /// </summary>
    private static async Task FlushAsync(IResourceWithConnectionString cache, CancellationToken cancellationToken)
    {
        var connectionString = await cache.GetConnectionStringAsync(cancellationToken)
            ?? throw new InvalidOperationException($"{cache.Name} has no connection string yet.");
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        await CacheReset.FlushAndRetireEverythingAsync(redis.GetDatabase(), cancellationToken: cancellationToken);
    }
}
