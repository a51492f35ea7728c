using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Caching;

/// <summary>Reads are cached, and a read after any write never returns the old value.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ReadAfterWriteTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task A_product_read_is_served_from_redis_until_a_write_invalidates_it()
    {
        var product = await _client.CreateProductAsync("cached");
        var id = product.Id();
        await _client.GetJsonAsync($"/api/products/{id}");
        await using var redis = await fixture.App.ConnectRedisAsync();
        Assert.NotEmpty(await redis.CacheKeysAsync($"cloudtalk:*:product:{id}:item"));

        // Change the row behind the Api's back: the cached answer still shows the old name...
        await using (var database = await fixture.App.OpenApiDatabaseAsync())
        {
            Assert.Equal(1, await database.ExecuteAsync("UPDATE products SET name = 'behind' WHERE id = $1", id));
        }

        var cached = await _client.GetJsonAsync($"/api/products/{id}");
        Assert.Equal("cached", cached.GetProperty("name").GetString());

        // ...until a write through the Api invalidates it.
        using var put = await _client.PutJsonAsync($"/api/products/{id}", new { price = 5 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var read = await _client.GetJsonAsync($"/api/products/{id}");
        Assert.Equal("behind", read.GetProperty("name").GetString());
        Assert.Equal(5m, read.GetProperty("price").GetDecimal());
    }

    [Fact]
    public async Task Product_read_after_update_and_delete_is_never_stale()
    {
        var product = await _client.CreateProductAsync("before");
        var id = product.Id();

        for (var i = 0; i < 5; i++)
        {
            await _client.GetJsonAsync($"/api/products/{id}");
            using var put = await _client.PutJsonAsync($"/api/products/{id}", new { name = $"after {i}" });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var read = await _client.GetJsonAsync($"/api/products/{id}");
            Assert.Equal($"after {i}", read.GetProperty("name").GetString());
        }

        using var delete = await _client.DeleteAsync($"/api/products/{id}");
        using var gone = await _client.GetAsync($"/api/products/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task List_page_read_after_create_update_and_delete_is_never_stale()
    {
        var product = await _client.CreateProductAsync("listed");
        var id = product.Id();
        var lastPage = await LastPageAsync();
        Assert.Contains(await PageNamesAsync(lastPage), name => name == "listed");

        var renamed = await _client.PutJsonAsync($"/api/products/{id}", new { name = "renamed in list" });
        renamed.Dispose();
        Assert.Contains(await PageNamesAsync(lastPage), name => name == "renamed in list");

        var totalBefore = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt32();
        await _client.CreateProductAsync("one more");
        var totalAfter = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt32();
        Assert.Equal(totalBefore + 1, totalAfter);

        (await _client.DeleteAsync($"/api/products/{id}")).Dispose();
        var afterDelete = await _client.GetJsonAsync("/api/products?limit=1");
        Assert.Equal(totalAfter - 1, afterDelete.GetProperty("totalItems").GetInt32());
        var all = await _client.GetJsonAsync("/api/products?limit=1000&page=1");
        Assert.DoesNotContain(all.GetProperty("data").EnumerateArray(), p => p.Id() == id);
    }

    [Fact]
    public async Task Review_page_read_after_create_update_and_delete_is_never_stale()
    {
        var product = await _client.CreateProductAsync();
        var url = $"/api/products/{product.Id()}/reviews";
        Assert.Equal(0, (await _client.GetJsonAsync(url)).GetProperty("totalItems").GetInt32());

        var review = await _client.CreateReviewAsync(product.Id(), rating: 2);
        var afterCreate = await _client.GetJsonAsync(url);
        Assert.Equal(1, afterCreate.GetProperty("totalItems").GetInt32());
        Assert.Equal(2, afterCreate.GetProperty("data")[0].GetProperty("rating").GetInt32());

        (await _client.PutJsonAsync($"/api/reviews/{review.Id()}", new { rating = 5 })).Dispose();
        var afterUpdate = await _client.GetJsonAsync(url);
        Assert.Equal(5, afterUpdate.GetProperty("data")[0].GetProperty("rating").GetInt32());

        (await _client.DeleteAsync($"/api/reviews/{review.Id()}")).Dispose();
        var afterDelete = await _client.GetJsonAsync(url);
        Assert.Equal(0, afterDelete.GetProperty("totalItems").GetInt32());
        Assert.Equal(0, afterDelete.GetProperty("totalPages").GetInt32());
    }

    [Fact]
    public async Task Concurrent_reads_of_one_product_all_answer_the_current_value()
    {
        var product = await _client.CreateProductAsync("concurrent");
        (await _client.PutJsonAsync($"/api/products/{product.Id()}", new { name = "concurrent 2" })).Dispose();

        var reads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _client.GetJsonAsync($"/api/products/{product.Id()}")));

        Assert.All(reads, read => Assert.Equal("concurrent 2", read.GetProperty("name").GetString()));
    }

    private async Task<int> LastPageAsync()
    {
        var list = await _client.GetJsonAsync("/api/products?limit=1000");
        return list.GetProperty("totalPages").GetInt32();
    }

    private async Task<List<string?>> PageNamesAsync(int page)
    {
        var list = await _client.GetJsonAsync($"/api/products?limit=1000&page={page}");
        return [.. list.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("name").GetString())];
    }
}
