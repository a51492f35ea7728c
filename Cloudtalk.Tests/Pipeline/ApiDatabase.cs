using Cloudtalk.Tests.Infrastructure;
using Npgsql;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>Reads (and, to stage a crash's leftovers, writes) the Api's own database: the source of truth.</summary>
public sealed class ApiDatabase(string connectionString)
{
    public static async Task<ApiDatabase> OpenAsync(CloudtalkApp app) => new(await app.GetConnectionStringAsync("apidb"));

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = Command(connection, sql, parameters);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Count and sum of the current review ratings of each given product (0 and 0 without reviews).</summary>
    public async Task<IReadOnlyDictionary<long, (int Count, long Sum)>> ReviewTotalsAsync(IReadOnlyCollection<long> productIds)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = Command(connection,
            "SELECT product_id, count(*)::int, coalesce(sum(rating), 0)::bigint FROM reviews WHERE product_id = ANY($1) GROUP BY product_id",
            [productIds.ToArray()]);
        var totals = productIds.ToDictionary(id => id, _ => (Count: 0, Sum: 0L));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            totals[reader.GetInt64(0)] = (reader.GetInt32(1), reader.GetInt64(2));
        }

        return totals;
    }

    /// <summary>The page (of <paramref name="limit"/>, ordered by id) of <c>GET /api/products</c> that holds the product.</summary>
    public async Task<int> ListPageOfAsync(long productId, int limit)
    {
        var rank = await ScalarAsync<long>("SELECT count(*) FROM products WHERE id <= $1", productId);
        return (int)((rank - 1) / limit) + 1;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
