using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>Recognises the PostgreSQL errors the Api turns into client answers instead of a 500.</summary>
public static class DatabaseErrors
{
    public static bool IsForeignKeyViolation(this DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };
}
