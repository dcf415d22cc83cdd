/* placeholder until the stage lands */ typedef int bt_extract_unused;
