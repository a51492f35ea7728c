using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cloudtalk.Common.Persistence;

/// <summary>
/// Applies the pending EF Core migrations of <typeparamref name="TContext"/> when the service starts.
/// </summary>
/// <remarks>
/// Hosted services registered by the application start before Kestrel does, so no request is served
/// against an old schema. Several replicas starting at once are safe: since EF Core 9,
/// <c>Database.MigrateAsync()</c> first takes an exclusive database lock (<c>IHistoryRepository.AcquireDatabaseLockAsync</c>;
/// the Npgsql provider runs <c>LOCK TABLE "__EFMigrationsHistory" IN ACCESS EXCLUSIVE MODE</c> in the migration's
/// transaction, and creates the history table concurrency-safely), so one replica migrates while the others
/// wait, then re-read the history and find nothing left to apply.
/// </remarks>
/// <typeparam name="TContext">The context whose migrations are applied.</typeparam>
public sealed partial class DatabaseMigrator<TContext>(
    IServiceScopeFactory scopes, ILogger<DatabaseMigrator<TContext>> logger) : IHostedService
    where TContext : DbContext
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A database that is still starting (or restarting) is waited for, briefly, rather than failing the service.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var context = scope.ServiceProvider.GetRequiredService<TContext>();
                // EF reads the migration history before it creates the table; on a new database PostgreSQL logs each
                // such read as an error, which reads like a failure in the dashboard. So the table comes first
                // (CREATE TABLE IF NOT EXISTS: safe when replicas start together).
                await context.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                await context.Database.MigrateAsync(cancellationToken);
                var current = (await context.Database.GetAppliedMigrationsAsync(cancellationToken)).LastOrDefault();
                LogMigrated(logger, typeof(TContext).Name, current ?? "none");
                return;
            }
            catch (Exception exception) when (attempt < 10 && !cancellationToken.IsCancellationRequested)
            {
                LogMigrationFailed(logger, exception, typeof(TContext).Name, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), cancellationToken);
            }
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Context}: database migrated, now at {Migration}")]
    private static partial void LogMigrated(ILogger logger, string context, string migration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migrating {Context} failed (attempt {Attempt}); retrying.")]
    private static partial void LogMigrationFailed(ILogger logger, Exception exception, string context, int attempt);
}
