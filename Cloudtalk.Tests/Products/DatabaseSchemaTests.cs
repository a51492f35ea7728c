using Cloudtalk.Tests.Infrastructure;
using Npgsql;

namespace Cloudtalk.Tests.Products;

/// <summary>The schema the committed migrations create in the Api's database.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class DatabaseSchemaTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task Migrations_are_applied_through_the_history_table()
    {
        var applied = await QueryAsync("""SELECT migration_id FROM "__EFMigrationsHistory" ORDER BY 1""");

        Assert.Contains(applied, id => id.EndsWith("_InitialProductsAndReviews", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reviews_have_the_newest_first_index_and_a_cascading_foreign_key()
    {
        var index = Assert.Single(await QueryAsync(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'reviews' AND indexname = 'ix_reviews_product_id_created_at_id'"));
        var cascade = Assert.Single(await QueryAsync(
            "SELECT confdeltype::text FROM pg_constraint WHERE conrelid = 'reviews'::regclass AND contype = 'f'"));

        Assert.Contains("(product_id, created_at DESC, id DESC)", index, StringComparison.Ordinal);
        Assert.Equal("c", cascade);
    }

    [Fact]
    public async Task Products_keep_price_exact_and_a_rating_version()
    {
        var columns = await QueryAsync("""
            SELECT column_name || ' ' || data_type || coalesce(' ' || numeric_precision || ',' || numeric_scale, '') || ' ' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_name = 'products' AND column_name IN ('price', 'rating_version', 'average_rating')
            ORDER BY column_name
            """);

        Assert.Equal(3, columns.Count);
        Assert.StartsWith("average_rating double precision", columns[0], StringComparison.Ordinal);
        Assert.StartsWith("price numeric 12,2", columns[1], StringComparison.Ordinal);
        Assert.StartsWith("rating_version bigint", columns[2], StringComparison.Ordinal);
        Assert.EndsWith(" 0", columns[2], StringComparison.Ordinal);
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = await fixture.App.OpenApiDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
