using Npgsql;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>The secrets of a running system: its backing services' generated passwords and the operations key.</summary>
public static class GeneratedSecrets
{
    /// <summary>The passwords in this run's connection strings and the operations key, each checked to be a real, generated one.</summary>
    public static async Task<(string Name, string Secret)[]> ReadAsync(CloudtalkApp app)
    {
        var apiDatabase = new NpgsqlConnectionStringBuilder(await app.GetConnectionStringAsync("apidb")).Password;
        var ratingDatabase = new NpgsqlConnectionStringBuilder(await app.GetConnectionStringAsync("ratingdb")).Password;
        var cache = StackExchange.Redis.ConfigurationOptions.Parse(await app.GetConnectionStringAsync("cache")).Password;
        var messaging = Uri.UnescapeDataString(new Uri(await app.GetConnectionStringAsync("messaging")).UserInfo.Split(':', 2)[1]);
        (string Name, string? Secret)[] secrets =
            [("apidb", apiDatabase), ("ratingdb", ratingDatabase), ("cache", cache), ("messaging", messaging),
             ("operations key", app.OperationsKey)];
        foreach (var (name, secret) in secrets)
        {
            Assert.True(secret is { Length: >= 16 }, $"The {name} secret was not generated.");
        }

        return [.. secrets.Select(s => (s.Name, s.Secret!))];
    }
}
