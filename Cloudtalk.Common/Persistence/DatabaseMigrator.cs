using Cloudtalk.Common.Diagnostics;
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
/// against an old schema. Several replicas starting at once take turns: the whole run holds a PostgreSQL advisory
/// lock, so one replica migrates while the others wait, then read the history and find nothing left to apply.
/// EF Core's own migration lock (the Npgsql provider's <c>LOCK TABLE "__EFMigrationsHistory"</c>) is taken per
/// migration transaction, and with it alone two Api replicas starting together on an empty database were seen to
/// apply the same migration twice: one failed with "relation already exists" and only got through on its retry.
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
                await using var turn = await MigrationTurn.TakeAsync(context.Database.GetConnectionString(), cancellationToken);
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
                LogMigrationFailed(logger, typeof(TContext).Name, attempt, ErrorSummary.Of(exception));
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), cancellationToken);
            }
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Context}: database migrated, now at {Migration}")]
    private static partial void LogMigrated(ILogger logger, string context, string migration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migrating {Context} failed (attempt {Attempt}: {Error}); retrying.")]
    private static partial void LogMigrationFailed(ILogger logger, string context, int attempt, ErrorSummary error);
}
