namespace Cloudtalk.Tests.Messaging;

/// <summary>Product and review ids no other test uses, so tests sharing one system never see each other's events.</summary>
public static class TestIds
{
    private static long _next = 1_000_000;

    public static long Next() => Interlocked.Increment(ref _next);
}
