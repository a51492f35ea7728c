using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Cloudtalk.Common.Persistence;

/// <summary>EF Core's automatic savepoints, which the services turn off (in their DbContext constructors).</summary>
public static class AutomaticSavepoints
{
    /// <summary>
    /// Every transaction in the services is retried whole by the execution strategy and never goes on after a failed
    /// SaveChanges, so EF's automatic savepoint around each SaveChanges in a transaction (a SAVEPOINT and a RELEASE,
    /// and a PostgreSQL subtransaction for the rows written after it) would cost every write and buy nothing. Called
    /// from the constructor, so pooled instances keep it (Persistence/NoSavepointTests checks that in Rating).
    /// </summary>
    public static void DisableAutomaticSavepoints(this DatabaseFacade database) => database.AutoSavepointsEnabled = false;
}
