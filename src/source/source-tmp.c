/* placeholder until the stage lands */ typedef int bt_source_unused;
