namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// "Now" as PostgreSQL stores it: UTC, truncated to microseconds, so the timestamps in a 201 or 200
/// answer are exactly the ones a later GET reads back.
/// </summary>
public static class DatabaseClock
{
    public static DateTime UtcNow(this TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc);
    }
}
