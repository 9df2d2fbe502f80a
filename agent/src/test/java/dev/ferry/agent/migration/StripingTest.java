package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StripingTest {

    @Test
    void aPageAlwaysMapsToTheSameChannelInRange() {
        for (int channels = 1; channels <= MigrationSettings.MAX_CHANNELS; channels++) {
            for (int page = 0; page < 10_000; page += 7) {
                int channel = Striping.channelOf(page, channels);
                assertTrue(channel >= 0 && channel < channels, page + " of " + channels + " -> " + channel);
                assertEquals(channel, Striping.channelOf(page, channels), "stable");
            }
            int last = Striping.channelOf(Integer.MAX_VALUE, channels);
            assertTrue(last >= 0 && last < channels, "the largest page index: " + last);
        }
    }

    @Test
    void aBitmapWordOfSixtyFourPagesSharesOneChannel() {
        for (int channels = 1; channels <= MigrationSettings.MAX_CHANNELS; channels++) {
            for (int word = 0; word < 100; word++) {
                int first = Striping.channelOf(word * 64, channels);
                for (int page = word * 64; page < word * 64 + 64; page++) {
                    assertEquals(first, Striping.channelOf(page, channels), "page " + page + " of word " + word);
                }
                assertEquals(word % channels, first, "word w goes to channel w mod N");
            }
        }
    }

    @Test
    void neighbouringWordsGoToDifferentChannels() {
        assertEquals(0, Striping.channelOf(63, 2));
        assertEquals(1, Striping.channelOf(64, 2));
        assertEquals(0, Striping.channelOf(128, 2));
        assertEquals(0, Striping.channelOf(12345, 1));
    }

    @Test
    void aLargeMemoryUsesEveryChannelEvenly() {
        int pages = (1 << 30) / 4096;  // 1 GiB
        for (int channels = 1; channels <= MigrationSettings.MAX_CHANNELS; channels++) {
            long[] perChannel = new long[channels];
            for (int page = 0; page < pages; page++) {
                perChannel[Striping.channelOf(page, channels)]++;
            }
            long min = Long.MAX_VALUE;
            long max = 0;
            for (long count : perChannel) {
                min = Math.min(min, count);
                max = Math.max(max, count);
            }
            assertTrue(min > 0, channels + " channels: one is unused");
            assertTrue(max - min <= 64, channels + " channels: uneven by more than a word: " + min + ".." + max);
        }
    }
}
